"""The demo campaign generator: ``python -m siimop_app.demo --scale small|national``."""
