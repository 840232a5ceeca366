# Chroma's own Python server with token authentication and roles, started the way
# `wenji server init` prints it (app/chroma_server.py says why not `chroma run`).
FROM python:3.11-slim
RUN pip install --no-cache-dir "chromadb==1.5.9" "uvicorn==0.54.0" "fastapi==0.165.0"
COPY app/__init__.py /srv/app/__init__.py
COPY app/chroma_server.py /srv/app/chroma_server.py
WORKDIR /srv
EXPOSE 8000
CMD ["python", "-m", "app.chroma_server", "0.0.0.0", "8000"]
