"""Lead routing: the routing graph of revops.yaml, walked for each lead against the reps'
availability, caps, working hours and load; every decision explained and audited."""
