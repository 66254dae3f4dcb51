-- The warehouse lives beside Airflow's metadata database, in its own database.
CREATE DATABASE marketing;
