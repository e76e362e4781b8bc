"""Sandbox: mp (being written)."""
from flask import Blueprint

bp = Blueprint("sandbox_mp", __name__)
