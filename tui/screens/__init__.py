"""Dashboard screens: drill-down, help, account picker, rejections."""
