"""Bulk registration (R-4): a unit's 附件2 list becomes accounts, linked to the unit.

    rows.py       the checks a row needs beyond the list reader's (mobile, gender, repeated mobiles)
    accounts.py   one pass over the checked rows: look-ups in bulk, accounts inserted in batches
    workbook.py   the result workbook (every row with its verdict, personal data masked)
    jobs.py       the upload kept for the worker, the background job, progress, the contact's mail
"""
