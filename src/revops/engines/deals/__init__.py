"""The deal engine: stage gates and pipeline hygiene.

    gates.py         what a deal must hold to be in a stage: required fields and gate expressions,
                     per record (moves) and for every deal at once (hygiene); skipped stages
    field_values.py  values given with a move, typed as ingest types a file
    moves.py         move a deal into a stage through its gate: refuse, or update and append history
    facts.py         every deal with the derived fields rules read (days in stage, pushes …), in Ibis
    hygiene.py       the model's hygiene rules over every deal: findings, and what could not be checked
    scorecard.py     the headline (deals at risk), a data-quality score per rep, completeness per field and stage
"""
