// Loaded as a module, so it runs only in browsers that GOV.UK Frontend supports.
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// Tells the portal this browser runs JavaScript, so the dashboard can send its shell first and each tile as an
// htmx fragment. Ends with the browser session; listed on the cookies page.
const secure = window.location.protocol === 'https:' ? '; Secure' : ''
document.cookie = `${document.body.dataset.javascriptCookie}=1; Path=/; SameSite=Lax${secure}`
