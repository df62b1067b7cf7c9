"""Tasks with an owner, a due date and a status, from every feature ("My tasks")."""
