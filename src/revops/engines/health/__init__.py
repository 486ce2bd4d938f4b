"""Customer health: the measures of revops.yaml's ``health:`` section over each customer
account, as of any day, into a 0-100 score with its band, trend and reasons (``score``), and
the renewals coming up with the ARR at risk (``renewals``). docs/health.md defines each measure.

    inputs.py    what each measure reads, one query per input
    reasons.py   the words an account manager reads
    score.py     measures -> score, band, trend, reasons
    renewals.py  the renewal forecast per account
    separation.py  how well the score separates accounts that churn (the demo's truth)
"""
