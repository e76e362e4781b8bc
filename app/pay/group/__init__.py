"""Group purchase (团体购买) by a unit's approved contact, split by job:

    lines   reading a list: pasted text ("身份证号" or "姓名 身份证号" a line) or the 附件2 workbook
            (read by app.units.roster, bounded before parsing)
    check   checking the lines in one query, answering nothing stored about a person
    store   the answer, the saved check (one hour, masked), the error workbook, the record for staff
    uploads large workbooks checked in the worker, the page polling for the result

Line numbers: pasted text counts non-blank lines (the N-th line of the list); a workbook gives
the Excel row number, as the contact sees it in the margin.
"""
