"""The ASGI application for uvicorn: settings from the environment."""

from hotline.app import create_app
from hotline.config import Settings

app = create_app(Settings())
