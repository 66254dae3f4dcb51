# SocialPulse on the official Airflow image, with the project's exact pins.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root requirements.txt /opt/socialpulse/requirements.txt
RUN pip install --no-cache-dir -r /opt/socialpulse/requirements.txt

# The shipped packages, baked in for plain `docker run`; docker-compose mounts ./include over them, which
# also brings the development tools (include/socialpulse_dev) its simulator service runs.
COPY --chown=airflow:root include/socialpulse /opt/airflow/include/socialpulse
COPY --chown=airflow:root include/socialpulse_airflow /opt/airflow/include/socialpulse_airflow
# The Marketing dashboard plugin (socialpulse_airflow/dashboard is the app it mounts).
COPY --chown=airflow:root plugins /opt/airflow/plugins
# The experiments experiments_daily reads and the campaign briefs audience_intelligence builds (the variables
# socialpulse_experiments_file and socialpulse_audiences_file may name other files).
COPY --chown=airflow:root experiments.yaml /opt/airflow/experiments.yaml
COPY --chown=airflow:root audiences.yaml /opt/airflow/audiences.yaml
ENV PYTHONPATH=/opt/airflow/include
