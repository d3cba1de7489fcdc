"""The baseline for the load benchmark: a bare Flask hello route, served by the same gunicorn configuration
as the portal (bench/dashboard.py)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello"
