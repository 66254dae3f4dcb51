"""The marketing dashboard inside the Airflow UI: a FastAPI app the plugin in plugins/ mounts."""
