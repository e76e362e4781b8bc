"""补学 (back-fill): earlier years granted after a reviewed payment proof or commitment letter."""
