"""Booking with the keyboard alone (Tab, Space, Enter and typing; no clicks): on every page the
Tab key visits the controls in reading order, nothing is skipped or trapped, and every control
shows where the focus is (its outline, shadow or colours change when focused)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import Patient, heading

# Remember how every focusable control looks unfocused, and list them in DOM order (a radio
# group is one Tab stop: its checked radio, else its first).
SNAPSHOT = """() => {
  const styled = el => el.matches('input[type=radio], input[type=checkbox]')
    ? getComputedStyle(el.labels[0], '::before') : getComputedStyle(el);
  const look = el => { const s = styled(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
            s.color, s.borderColor, s.textDecorationLine].join('|'); };
  window.__unfocused = new Map();
  const describe = el => el.id ? '#' + el.id
    : el.tagName.toLowerCase() + ':' + (el.getAttribute('aria-label') || el.innerText || '').trim();
  window.__describe = describe;
  window.__look = look;
  const all = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
    .filter(el => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length
                  && getComputedStyle(el).visibility !== 'hidden');
  const order = [];
  for (const el of all) {
    window.__unfocused.set(el, look(el));
    if (el.type === 'radio') {
      // A radio group is its name within one form (each label's reprint form has its own).
      const group = all.filter(r => r.type === 'radio' && r.name === el.name && r.form === el.form);
      if (el !== (group.find(r => r.checked) || group[0])) continue;
    }
    order.push(describe(el));
  }
  return order;
}"""
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {name: 'body', changed: false};
  const before = window.__unfocused.get(el);
  const after = window.__look(el);
  return {name: window.__describe(el), changed: before !== undefined && before !== after,
          before: before, after: after};
}"""


class Keyboard:
    """Tabbing through one page at a time, checking order and visible focus on every stop."""

    def __init__(self, page: Page):
        self.page = page
        self.order: list[str] = []
        self.visited: list[str] = []
        self.previous: list[str] = []  # the Tab stops on the page before this one

    def arrive(self) -> None:
        """A new page: remember its controls, and start counting Tab stops again."""
        self.page.wait_for_load_state()  # the stylesheet decides what is visible text
        self.order = self.page.evaluate(SNAPSHOT)
        self.visited = []

    def tab_to(self, target: str) -> None:
        """Press Tab until `target` has the focus; every stop on the way must show focus."""
        for _ in range(len(self.order) + 2):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(FOCUSED)
            self.visited.append(focused["name"])
            assert focused["changed"], f"no visible focus on {focused} at {self.page.url}"
            if focused["name"] == target:
                expected = self.order[: len(self.visited)]
                assert self.visited == expected, (self.page.url, self.visited, self.order)
                return
        raise AssertionError(f"Tab never reached {target} on {self.page.url}: {self.visited}")

    def type_into(self, target: str, text: str) -> None:
        """Tab to a field and type."""
        self.tab_to(target)
        self.page.keyboard.type(text)

    def choose(self, target: str) -> None:
        """Tab to a radio group and select its first radio with Space."""
        self.tab_to(target)
        self.page.keyboard.press("Space")
        expect(self.page.locator(target)).to_be_checked()

    def press(self, target: str, next_heading: str) -> None:
        """Tab to a button or link and press Enter; the next page must come."""
        self.tab_to(target)
        self.page.keyboard.press("Enter")
        heading(self.page, next_heading)
        self.previous = self.visited
        self.arrive()


def test_book_with_the_keyboard_alone(site):
    page = site.open()
    keys = Keyboard(page)
    patient = Patient()
    page.goto("/")
    keys.arrive()
    assert keys.order[:2] == ["a:Skip to main content", "a:NHS Book a blood test homepage"]
    keys.press("a:Start now", "What type of blood test do you need?")
    keys.choose("#type")
    keys.press("button:Continue", "What is your postcode?")
    keys.type_into("#postcode", "LS7 1AA")
    keys.press("button:Continue", "Where would you like to have your blood test?")
    for radio, question in (("#site_id", "What day would you like to come?"),
                            ("#date", "What time would you like to come?"),
                            ("#slot_id", "Do you know your NHS number?"),
                            ("#nhs_known", "What is your NHS number?")):
        keys.choose(radio)
        site.shot(page, f"keyboard {radio}")
        keys.press("button:Continue", question)
    keys.type_into("#nhs_number", patient.nhs or "")
    keys.press("button:Continue", "What is your name?")

    # A mistake: the error summary takes the focus, and its link takes it to the field.
    keys.press("button:Continue", "What is your name?")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    site.shot(page, "keyboard error summary focused")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Enter your first name")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#given_name")).to_be_focused()
    page.keyboard.type(patient.given)
    page.keyboard.press("Tab")
    expect(page.locator("#family_name")).to_be_focused()
    page.keyboard.type(patient.family)
    page.keyboard.press("Enter")  # Enter in a field sends the form
    heading(page, "What is your date of birth?")

    keys.arrive()
    for part, value in zip(("#dob-day", "#dob-month", "#dob-year"), patient.dob, strict=True):
        keys.type_into(part, value)
    keys.press("button:Continue", "How can we contact you?")
    keys.type_into("#mobile", patient.mobile)
    keys.press("button:Continue", "Do you have a test request number?")
    keys.press("button:Continue", "Check your answers before booking")
    site.shot(page, "keyboard check your answers")
    keys.press("button:Book appointment", "Appointment booked")
    # Each of the ten Change links on the check page was a Tab stop on the way to the button.
    assert len([stop for stop in keys.previous if stop.startswith("a:Change")]) == 10
    keys.tab_to("a:Print your appointment letter (PDF)")
    site.shot(page, "keyboard confirmation focused link")
    expect(page.locator(".nhsuk-panel")).to_contain_text("Your booking reference is")
