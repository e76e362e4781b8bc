// E-invoices (/api/v1/invoices): my paid orders with their invoices, my saved titles, apply, change the title,
// mail, the PDF.
const {get, post, download} = require('../utils/request')

/** Every paid order of mine: {order_no, state, state_text, can_apply, apply_refusal, can_change, invoices}. */
function myInvoices() {
  return get('/invoices')
}

/** My saved titles, newest first: [{title_type, name, tax_no, email}] (tax_no and email may be null). */
function savedTitles(opts) {
  return get('/invoices/titles', undefined, opts)
}

/** Apply for the order's invoice with a title {title_type, name, tax_no?, email?}. */
function applyInvoice(orderNo, title) {
  return post('/invoices/orders/' + encodeURIComponent(orderNo) + '/apply', title)
}

/** Change the issued invoice's title (once, within 15 days of issue, not across a year). */
function changeTitle(orderNo, title) {
  return post('/invoices/orders/' + encodeURIComponent(orderNo) + '/change', title)
}

/** Send the invoice's PDF to an e-mail address. */
function mailInvoice(fapiaoId, email) {
  return post('/invoices/' + encodeURIComponent(fapiaoId) + '/mail', {email})
}

/** The invoice's PDF in a temporary file (the path). */
function downloadInvoice(pdfUrl) {
  return download(pdfUrl)
}

module.exports = {myInvoices, savedTitles, applyInvoice, changeTitle, mailInvoice, downloadInvoice}
