"""SocialPulse library: connectors, lake, transforms and warehouse, free of Airflow."""
