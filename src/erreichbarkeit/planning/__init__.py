"""What-if scenarios and location suggestions.

:mod:`~erreichbarkeit.planning.scenarios` applies added, moved or closed
offers to a run and compares the states; :mod:`~erreichbarkeit.planning.locations`
suggests sites for new offers (MCLP, p-median) from the candidates of
:mod:`~erreichbarkeit.planning.candidates`.
"""
