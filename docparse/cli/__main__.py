from docparse.cli import run

run()
