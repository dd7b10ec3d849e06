"""Reports: charts written as SVG text (report/svg.py; matplotlib only for the PNG Gantt)
and one self-contained, offline HTML file."""
