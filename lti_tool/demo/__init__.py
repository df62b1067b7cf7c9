"""The practice LMS: a small LTI 1.3 platform inside the development server."""
