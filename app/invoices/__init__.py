"""E-invoices (电子发票, R-14, R-15): titles, the year and 15-day rules, issuing through WeChat Pay's fapiao API."""
