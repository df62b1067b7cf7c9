from flask import Blueprint

bp = Blueprint("demo", __name__, url_prefix="/demo")


@bp.get("/")
def index():
    return "practice LMS"
