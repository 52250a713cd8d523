# median.sh — sourced by the bench scripts: median() prints the median of the numbers on stdin,
# one a line (the mean of the middle two for an even count).
median() { sort -n | awk '{a[NR]=$1} END {m=int((NR+1)/2); if (NR%2) print a[m]; else printf "%.1f\n", (a[m]+a[m+1])/2}'; }
