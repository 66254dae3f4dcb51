"""Activation: the published target audiences sent to the ad platforms that show the ads (Meta Custom Audiences).

`plan` says what to send so a platform's audience holds exactly the intended people; `entities`
declares the activation log and the rows each audience holds on its platform; `store` keeps them
in the warehouse. The HTTP calls are connectors/meta/custom_audiences.py's, the steps jobs/activation.py's.
"""
