// Progressive enhancement only: every page works without this file (CSP forbids inline scripts,
// so the body classes NHS.UK frontend expects are added here).
import { initAll } from './vendor/nhsuk/nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
