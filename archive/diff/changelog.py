def audit(clauses, changes, label):
    return None
