"""Sandbox: control (being written)."""
from flask import Blueprint

bp = Blueprint("sandbox_control", __name__)
