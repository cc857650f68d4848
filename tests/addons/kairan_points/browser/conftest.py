import pytest

from tests.browser.conftest import *  # noqa: F403
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def no_js_page(playwright_instance, tmp_path):
    """A page of a phone-sized browser with JavaScript switched off: the wallet's pages must
    work without it (only the camera scan needs it)."""
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "no-js-profile"), executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS, locale="ja-JP", viewport={"width": 390, "height": 844},
        java_script_enabled=False)
    context.set_default_timeout(15000)
    page = context.pages[0] if context.pages else context.new_page()
    # the page's own scripts really do not run
    page.set_content('<p id="probe">off</p><script>probe.textContent = "on"</script>')
    assert page.locator("#probe").inner_text() == "off"
    yield page
    context.close()
