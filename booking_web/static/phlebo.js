// Progressive enhancement only: every page works without this file (CSP forbids inline scripts,
// so the body classes NHS.UK frontend expects are added here).
import { initAll } from './vendor/nhsuk/nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()

// A region marked data-refresh-seconds (the staff today page; a patient's reprints while one
// waits for its printer) is fetched again every so often, from data-refresh-url when it has one,
// else the page's own address, and swapped in place, so the page keeps its scroll position;
// focus goes back to the same link or button in the new copy. Without JavaScript the region has
// a link that reloads the page.
const region = document.querySelector('[data-refresh-seconds]')
if (region) {
  // The page says how often (the today page: 20 s, 5 s where labels print at the chair); never
  // faster than every 5 s, whatever it says.
  const seconds = Math.max(5, Number(region.dataset.refreshSeconds) || 20)
  const focusable = 'a, button, input, select, textarea'

  // What names a link or button in both copies: its id, or where it goes and what it says.
  const keyOf = (el) => el.id || [
    el.tagName, el.getAttribute('href'), el.closest('form')?.getAttribute('action'),
    el.textContent.trim()
  ].join('|')

  const fetchRegion = async () => {
    try {
      const response = await fetch(region.dataset.refreshUrl || window.location.href, {
        credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' }
      })
      if (!response.ok || response.redirected) return null // e.g. signed out: sign in again
      const page = new DOMParser().parseFromString(await response.text(), 'text/html')
      return page.getElementById(region.id)
    } catch {
      return null
    }
  }

  // The region without what changes on every answer (the time, the form tokens), so an
  // unchanged list is left alone: an alert in it is not announced again, focus is not moved.
  const signature = (el) => {
    const copy = el.cloneNode(true)
    copy.querySelectorAll('[data-refresh-time]').forEach((t) => { t.textContent = '' })
    copy.querySelectorAll('input[name=csrf_token]').forEach((i) => i.removeAttribute('value'))
    return copy.innerHTML
  }

  const refresh = async () => {
    if (document.hidden) return
    const fresh = await fetchRegion()
    if (!fresh) {
      const status = region.querySelector('[data-refresh-status]')
      if (status) status.textContent = 'Could not update the list: refresh the page'
      return
    }
    if (signature(fresh) === signature(region)) {
      const time = region.querySelector('[data-refresh-time]')
      const freshTime = fresh.querySelector('[data-refresh-time]')
      if (time && freshTime) time.textContent = freshTime.textContent
      return
    }
    const active = document.activeElement
    const key = active && region.contains(active) ? keyOf(active) : null
    region.replaceChildren(...Array.from(fresh.childNodes, (node) => document.importNode(node, true)))
    if (key) {
      const again = Array.from(region.querySelectorAll(focusable)).find((el) => keyOf(el) === key)
      again?.focus({ preventScroll: true })
    }
  }
  window.setInterval(refresh, seconds * 1000)
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh() })
}
