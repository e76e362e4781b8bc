"""Sandbox: pay (being written)."""
from flask import Blueprint

bp = Blueprint("sandbox_pay", __name__)
