"""Reports: matplotlib charts as inline SVG and one self-contained, offline HTML file."""
