# The support-escalation worker; docker-compose.yml runs the API from the same image.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    DATA_DIR=/data

WORKDIR /app

# Dependencies first, read from pyproject.toml, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# Bytecode at build time: the sandbox imports workflows/ afresh for every ticket it loads, and
# the worker's user cannot write it into /app at run time.
RUN pip install --no-deps . \
    && rm -rf build *.egg-info \
    && python -m compileall -q /app \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app \
    && install -d -o app -g app /data

USER 10001:10001

# worker.py stops polling on SIGTERM and lets running tasks finish (graceful_shutdown_timeout).
STOPSIGNAL SIGTERM
CMD ["python", "worker.py"]
