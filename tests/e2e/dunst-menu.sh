#!/bin/sh
# Stands in for dmenu in dunst's context menu: records the offered lines to
# $E2E_OUT/dunst-menu.txt and picks the first one containing $E2E_MENU_PICK ("Snooze").
out="${E2E_OUT:-/tmp}/dunst-menu.txt"
tee "$out" | grep -m1 -F "${E2E_MENU_PICK:-Snooze}"
