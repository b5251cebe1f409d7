from setuptools import setup, find_packages

setup(
    name='pypub3',
    version='2.0.5',
    license='MIT',
    description="Build epub books from web pages (chapter rendering core).",
    python_requires='>=3.6',
    packages=find_packages(),
    install_requires=[
        'dataclasses>=0.6',
        'filetype>=1.2.0'
    ],
)
