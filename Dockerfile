# Two images from one file, each with only what it needs, installed from the lock files:
#   api    (target api):    the web app and the tick; no torch, no planner (requirements/api.lock)
#   worker (target worker): + the CPU build of torch and the model (requirements/worker.lock)
# The model ships inside the image (models/ and the packaged sentence-transformer): nothing is
# downloaded at run time.
FROM python:3.11-slim AS base
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics TRIAGE_DATA_DIR=/data TRIAGE_MODEL_DIR=/app/models
# A fixed non-root uid, so volume and secret file permissions can be planned on the host.
RUN useradd --uid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin triage \
 && mkdir -p /data /tmp/metrics && chown triage:triage /data /tmp/metrics
COPY pyproject.toml README.md ./
COPY requirements ./requirements

FROM base AS api
RUN pip install -r requirements/api.lock
COPY triage ./triage
COPY workers ./workers
RUN pip install --no-deps .
USER triage
EXPOSE 8000
CMD ["triage", "api", "--host", "0.0.0.0"]

FROM base AS worker
# The lock pins torch==2.13.0+cpu; the CPU index keeps pip from pulling the CUDA build (~2 GB).
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements/worker.lock
COPY triage ./triage
COPY workers ./workers
COPY models ./models
RUN pip install --no-deps '.[ml]'
USER triage
EXPOSE 9100
CMD ["triage", "worker"]
