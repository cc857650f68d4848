"""Content type records."""

from zope.interface.verify import verifyClass

from kairan.content.interfaces import IContentType
from kairan.content.models import Folder, Page
from kairan.content.typeinfo import ContentType


def test_content_type_provides_its_interface():
    assert verifyClass(IContentType, ContentType)


def test_addable_in():
    info = ContentType("page", Page, "Page", addable_to=("folder",))
    assert info.addable_in(Folder(type="folder"))
    assert not info.addable_in(Page(type="page"))
    assert not info.addable_in(None)
