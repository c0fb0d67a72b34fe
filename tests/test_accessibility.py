"""Pages a screen reader and a keyboard can use: language, headings, labels, names."""

from html.parser import HTMLParser

import pytest

from training.accounts.models import Role


class PageStructure(HTMLParser):
    """Collects what the checks need from one page."""

    def __init__(self):
        super().__init__()
        self.html_lang = None
        self.h1_count = 0
        self.labels_for = set()
        self.controls = []
        self.images_without_alt = 0
        self.buttons = []
        self._button_text = None
        self._in_label = 0
        self.has_main = False
        self.has_skip_link = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "main":
            self.has_main = True
        elif tag == "a" and attrs.get("href") == "#main":
            self.has_skip_link = True
        elif tag == "label":
            self._in_label += 1
            if attrs.get("for"):
                self.labels_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type") not in ("hidden", "submit"):
                self.controls.append((attrs.get("id"), self._in_label > 0, attrs))
        elif tag == "img" and "alt" not in attrs:
            self.images_without_alt += 1
        elif tag == "button":
            self._button_text = ""

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label -= 1
        elif tag == "button" and self._button_text is not None:
            self.buttons.append(self._button_text.strip())
            self._button_text = None

    def handle_data(self, data):
        if self._button_text is not None:
            self._button_text += data


def check(html: str) -> PageStructure:
    page = PageStructure()
    page.feed(html)
    assert page.html_lang in ("ko", "en")
    assert page.h1_count == 1
    assert page.has_main and page.has_skip_link
    assert page.images_without_alt == 0
    unlabelled = [
        attrs
        for control_id, wrapped, attrs in page.controls
        if not wrapped and control_id not in page.labels_for and "aria-label" not in attrs
    ]
    assert unlabelled == []
    assert all(page.buttons), "every button has a visible name"
    return page


@pytest.fixture
def pages(db, make_run):
    run = make_run()
    db.session.commit()
    return run


@pytest.fixture
def client_for_role(client_for, make_person, db):
    def make(role):
        person = make_person(role=role)
        db.session.commit()
        return client_for(person)

    return make


@pytest.mark.parametrize("path", ["/", "/signup", "/login", "/runs/{run}", "/nowhere"])
def test_public_pages_are_labelled_and_structured(client, pages, path):
    response = client.get(path.format(run=pages.id))
    check(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/me", "/me/account", "/runs/{run}"])
def test_resident_pages_are_labelled_and_structured(client_for_role, pages, path):
    client = client_for_role(Role.RESIDENT)
    check(client.get(path.format(run=pages.id)).get_data(as_text=True))


@pytest.mark.parametrize("path", ["/desk/", "/desk/runs/{run}"])
def test_desk_pages_are_labelled_and_structured(client_for_role, pages, path):
    client = client_for_role(Role.STAFF)
    check(client.get(path.format(run=pages.id)).get_data(as_text=True))


def test_form_errors_point_at_their_fields(client):
    html = client.post("/signup", data={"name": "", "phone": "x"}).get_data(as_text=True)
    page = check(html)
    invalid = [attrs for _, _, attrs in page.controls if attrs.get("aria-invalid") == "true"]
    assert invalid
    assert all(attrs.get("aria-describedby") for attrs in invalid)
    assert 'role="alert"' in html
