"""The evaluation command: run cases through the running product's conversation API and score them."""
