"""Dispatch intelligence: text classifiers for a ticket's kind and category (title and/or content),
with calibrated confidences, top alternatives and an auto-dispatch threshold chosen by
cross-validation; training, evaluation and the `hotline dispatch` commands.

Modules, one job each: `text` (normalisation, jieba words, character n-grams), `features`
(hashed TF-IDF of a ticket's title and content), `metrics` (accuracy, macro-F1, top-k, threshold
choice), `model` (the classifier and its `Prediction`), `dataset` (reading labelled CSV files),
`store` (saving and loading a model with its metadata), `training` (train and evaluate from CSV),
`cli` (the Typer sub-app). Nothing is imported here, so that `hotline` starts without loading
scikit-learn.
"""
