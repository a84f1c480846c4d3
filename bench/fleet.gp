# bench/fleet.gp: the CA's requests per second over time in bench/fleet (PNG).
# gnuplot -e "datafile='...'; outfile='...'; t_stop=N; t_cont=N" bench/fleet.gp
set terminal pngcairo size 1000,420 font ",10" noenhanced
set output outfile
set datafile separator ","
set title "Requests per second at one Pebble: a fleet of certkeeper run agents through a 60 s CA freeze"
set xlabel "seconds since the first agent started"
set ylabel "requests per second"
set y2label "agents holding an expired certificate"
set y2tics
# From 0 (all zero, when no agent expired, would centre the line on the plot).
set y2range [0:*]
set ytics nomirror
set grid ytics
set key top left
set object 1 rect from t_stop, graph 0 to t_cont, graph 1 fc rgb "#f3d0d0" fs solid 0.5 behind
set label 1 "CA frozen (SIGSTOP)" at t_stop, graph 0.95 offset 0.5,0
plot datafile using 1:2 every ::1 with impulses lc rgb "#99aabb" title "per second", \
     '' using 1:3 every ::1 with lines lw 2 lc rgb "#223366" title "10-s average", \
     '' using 1:4 every ::1 axes x1y2 with lines lw 1 lc rgb "#cc3333" title "agents expired"
