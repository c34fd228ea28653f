"""Reports of a run: exports, Methodik, print maps, Steckbriefe, the offline base map.

* :mod:`~erreichbarkeit.report.export` — :func:`~erreichbarkeit.report.export.export_all`
  and the writers per format: :mod:`~erreichbarkeit.report.xlsx` (Excel),
  :mod:`~erreichbarkeit.report.csv_de` (German CSV), :mod:`~erreichbarkeit.report.gpkg`
  (GeoPackage, Parquet), with the cell rules of :mod:`~erreichbarkeit.report.cells`;
* :mod:`~erreichbarkeit.report.methodik` — the Methodik rows and the Hinweise table;
  :mod:`~erreichbarkeit.report.outputs` — every output file of a run;
* :mod:`~erreichbarkeit.report.style` — the minute classes and colours of every map
  (web and print); :mod:`~erreichbarkeit.report.mapplot` — the matplotlib map layers
  shared by :mod:`~erreichbarkeit.report.printmap` (A4/A3 print maps) and
  :mod:`~erreichbarkeit.report.steckbrief` (fact sheets, figures from
  :mod:`~erreichbarkeit.report.steckbrief_data`);
* :mod:`~erreichbarkeit.report.basemap` — the offline road base layer.
"""
