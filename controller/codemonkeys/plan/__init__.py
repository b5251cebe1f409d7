"""Plan (stage 3): the pure planner over the registered facets: drafts -> DAG -> waves -> gate -> plan."""
