"""The Airflow side the SocialPulse DAGs share: connections, variables, assets, checks and one function per task.

Kept apart from `socialpulse`, which knows nothing of Airflow. A DAG task body
calls one function here; these look up connections, variables and the run's
day, call the library, and turn what no retry can fix into AirflowFailException.
Modules import Airflow's heavy parts and the library lazily, so DAG files that
import them stay light to parse.
"""
