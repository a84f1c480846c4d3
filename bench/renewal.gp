# bench/renewal.gp: the chart of bench/renewal (gnuplot, PNG): median wall
# and CPU time per forced renewal, and peak RSS, per tool, on log scales.
# gnuplot -e "datafile='...'; outfile='...'" bench/renewal.gp
set terminal pngcairo size 1000,420 font ",10" noenhanced
set output outfile
set multiplot layout 1,2 title "One forced renewal of an EC P-256 certificate (Pebble, loopback)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set grid ytics
set xtics rotate by -30
set key top left
set ylabel "ms (median, log scale)"
set title "Time"
set yrange [1:*]
plot datafile using 2:xtic(1) title "wall", '' using 3 title "CPU"
set ylabel "MiB (median, log scale)"
set title "Peak RSS"
set yrange [1:*]
plot datafile using 4:xtic(1) title "peak RSS" lc rgb "#44aa77"
unset multiplot
