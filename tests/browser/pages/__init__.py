"""Page objects: what a person does on each area of Staffroom, in words the tests read."""
