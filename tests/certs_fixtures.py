"""Helpers of the certificate tests: a finished demo plan, a served app, reading a PDF's QR code, an edit
appended to a signed PDF."""
import io
import json
import subprocess
import threading
from contextlib import contextmanager

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from app.accounts.models import User
from app.certs import orgs, profile, service
from app.demo import demo_year, seed_catalogue
from app.learning.models import Course, CourseCompletion, Enrollment, Project


def demo_project():
    seed_catalogue()
    return Project.get(Project.year == demo_year())


def enrol(user, project):
    return Enrollment.create(user=user.id, project=project.id, source="grant")


def finish(user, project, skip_last=False):
    """Mark the plan's courses complete, as the learning module does when every chapter was watched."""
    courses = list(Course.select().where(Course.project == project.id).order_by(Course.position))
    for course in courses[:-1] if skip_last else courses:
        CourseCompletion.get_or_create(user=user.id, course=course.id, defaults={"credit_hours": course.credit_hours})


def finished_learner(name=None):
    """The registered learner (or the one called `name`) owning the 2026 demo plan with every course done."""
    user = User.get(User.name == name) if name else User.get()
    project = demo_project()
    enrol(user, project)
    finish(user, project)
    return user, project


def issued(user, project, unit_name="重庆示范建筑设计研究院（演示）"):
    """A certificate issued for a finished plan (the data confirmed with a unit)."""
    unit, _ = orgs.add_unit(unit_name, "500103")
    profile.save_profile(user, project.id, True, unit_id=unit.id)
    cert, _ = service.issue(user, project.id)
    return cert


@contextmanager
def serve(application):
    """The app over real HTTP from a threaded server (each request in its own thread)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def rasterise(pdf_path, out_prefix, dpi=150):
    """Page 1 of a PDF as a PNG (poppler's pdftoppm); returns the PNG's path."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
                    str(out_prefix)], check=True, timeout=60)
    return f"{out_prefix}.png"


def read_qr(png_path):
    """The text of the QR code in an image, decoded by zbar."""
    out = subprocess.run(["zbarimg", "--nodbus", "--quiet", "--raw", str(png_path)], check=True, timeout=60,
                         capture_output=True, text=True)
    return out.stdout.strip()


def append_name_edit(data, new_name):
    """An incremental update after the signature: the name drawn over the page and put in the metadata."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    font_ref = next(iter(page["/Resources"]["/Font"].values()))
    patch = writer.add_object(generic.StreamObject(
        stream_data=b"q 1 1 1 rg 100 470 200 20 re f Q BT /F1 14 Tf 110 476 Td (" + new_name.encode() + b") Tj ET"))
    contents = page["/Contents"]
    page["/Contents"] = generic.ArrayObject(
        [*(contents if isinstance(contents, generic.ArrayObject) else [page.raw_get("/Contents")]), patch])
    page["/Resources"]["/Font"][generic.NameObject("/F1")] = font_ref
    writer.update_container(page)
    info = writer.trailer["/Info"].get_object()
    data_json = json.loads(str(info["/CertData"]))
    info[generic.NameObject("/CertData")] = generic.TextStringObject(
        json.dumps({**data_json, "name": new_name}, ensure_ascii=False))
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
