"""The Gradio web app's parts: sessions and access, answer views, exports, and the page itself."""
