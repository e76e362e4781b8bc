// The 我的发票 page's test data, shaped as the backend's answers (app/invoices/views_data.py, schemas.py),
// shared by the page's test files.
const NO = 'CE20260301100000123456'
const GROUP_NO = 'CE20260302100000654321'
const OLD_NO = 'CE20250301100000111111'
const order = (over) => Object.assign({order_no: NO, kind: 'individual', project: '2026年公需科目', amount_fen: 6000,
  paid_on: '2026-03-01', state: 'not_applied', state_text: '未申请', can_apply: true, apply_refusal: null,
  can_change: false, change_refusal: '该订单还没有已开具的发票', wechat_title: false, invoices: []}, over)
const FAPIAO = {fapiao_id: NO + 'F1', version: 1, reason: 'apply', status: 'issued', status_text: '已开具',
  title_type: 'personal', name: '张三', tax_no: null, amount_fen: 6000, fapiao_number: '26502000000012345678',
  issued_on: '2026-03-02', pdf_url: '/api/v1/invoices/' + NO + 'F1/pdf', last_error: null, booked: false,
  in_card_package: true}
const ISSUED = order({state: 'issued', state_text: '已开具', can_apply: false, apply_refusal: '已申请发票',
  can_change: true, change_refusal: null, invoices: [FAPIAO]})
const GROUP = order({order_no: GROUP_NO, kind: 'group', amount_fen: 18000})
const OLD = order({order_no: OLD_NO, project: '2025年公需科目', paid_on: '2025-03-01', can_apply: false,
  apply_refusal: '发票须在付款当年申请：该订单于 2025 年付款，已不能申请'})
const TITLES = [
  {title_type: 'unit', name: '重庆市示例科技有限公司', tax_no: '91500000MA5U00000W', email: 'caiwu@example.cn'},
  {title_type: 'personal', name: '张三', tax_no: null, email: null},
  {title_type: 'unit', name: '重庆市某某局', tax_no: '11500000MB1234567X', email: null},
]

module.exports = {NO, GROUP_NO, OLD_NO, order, FAPIAO, ISSUED, GROUP, OLD, TITLES}
