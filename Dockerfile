# SocialPulse on the official Airflow image, with the project's exact pins.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root requirements.txt /opt/socialpulse/requirements.txt
RUN pip install --no-cache-dir -r /opt/socialpulse/requirements.txt

# The library is mounted at /opt/airflow/include by docker-compose; baked in for plain `docker run`.
COPY --chown=airflow:root include /opt/airflow/include
ENV PYTHONPATH=/opt/airflow/include
